"""bmdsim.airspace"""
