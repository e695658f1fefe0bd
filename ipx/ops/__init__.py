"""Operations: loading sample data and running the production server."""
