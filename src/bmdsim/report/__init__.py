"""bmdsim.report"""
