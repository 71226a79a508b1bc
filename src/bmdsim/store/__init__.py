"""bmdsim.store"""
