"""Developer scripts: protocol generation and the reference binary locator."""
