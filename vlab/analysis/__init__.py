"""vlab.analysis"""
