"""Page helpers of plans that compose other apps (runs): part of the pages layer."""
