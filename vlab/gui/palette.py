"""Colours used across vlab's plots: one colour-blind-safe palette, one colour per ion.

Okabe M, Ito K (2008) Color Universal Design: the eight colours stay distinguishable with
every common colour-vision deficiency. The same ion has the same colour everywhere (its
E line on the scope, its current and driving force inside the membrane).
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

#: one colour per ion (and the leak) for E lines, currents and driving forces
ION_COLOURS = {
    "Na": OKABE_ITO["vermillion"],
    "K": OKABE_ITO["blue"],
    "Cl": OKABE_ITO["green"],
    "L": "#888888",
    "M": OKABE_ITO["purple"],
}
