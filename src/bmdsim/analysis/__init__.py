"""bmdsim.analysis"""
