"""vlab.gui"""
