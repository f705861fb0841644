"""Assessing logs on a Dask cluster: ``engine="dask"`` (see ``engine``)."""
