"""bmdsim.flight"""
