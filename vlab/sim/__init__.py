"""vlab.sim"""
