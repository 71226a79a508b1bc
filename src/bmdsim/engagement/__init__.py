"""bmdsim.engagement"""
