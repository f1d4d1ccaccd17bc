from medgraph.settlement.reference import settle_reference as settle_vectorised  # placeholder
