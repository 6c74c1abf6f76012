"""What the stored stances say: trends around events, spikes, quotes and shares with intervals.

Reads the store, writes the derived trend tables; the brief and the dashboard read those.
"""
