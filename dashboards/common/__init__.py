"""Pieces shared by the dashboard pages: database context, page layout, map layers, serving."""
