"""vlab.practicals"""
