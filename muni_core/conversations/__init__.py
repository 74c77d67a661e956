"""Conversations as the contact-centre console sees them.

Shared by the Rasa process (which writes the index while saving a conversation, see
``muni_rasa/tracker_store.py``) and the gateway (whose console reads it). Depends only on
SQLAlchemy (1.4 in Rasa's environment, 2.x in the gateway's), so both can import it.
"""
