"""vlab.rig: the instruments a student operates (amplifier, perfusion, protocol), Qt-free."""

from vlab.rig.rig import FILTERS_HZ, GAINS, Amplifier, ClampMode, Rig, RigError

__all__ = ["Amplifier", "ClampMode", "FILTERS_HZ", "GAINS", "Rig", "RigError"]
