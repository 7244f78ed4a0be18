"""vlab.gui.panels: the rig side panels (perfusion, solutions, preparation, membrane view)."""
