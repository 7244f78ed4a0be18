"""vlab.rig"""
