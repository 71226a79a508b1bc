"""bmdsim.core"""
