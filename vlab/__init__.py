"""vlab: a virtual electrophysiology lab.

The package is split into a Qt-free core (:mod:`vlab.sim`, :mod:`vlab.rig`,
:mod:`vlab.protocols`, :mod:`vlab.analysis`, :mod:`vlab.recording`,
:mod:`vlab.practicals`) and one Qt shell (:mod:`vlab.gui`).  Importing this
package imports nothing else.
"""

__version__ = "0.1.0"
