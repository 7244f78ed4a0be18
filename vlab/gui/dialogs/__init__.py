"""vlab.gui.dialogs: export and experiment-file dialogs."""
