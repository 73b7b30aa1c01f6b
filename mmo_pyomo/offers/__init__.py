"""Offer optimization (SUGI 27): at most one offer and channel per customer, under a budget, an ROI
hurdle, channel capacities and offer minimums; exact at customer level with a certified gap."""
