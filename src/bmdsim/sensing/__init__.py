"""bmdsim.sensing"""
