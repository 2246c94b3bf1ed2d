"""The training catalogue: the modules/ folder loaded, validated and rendered."""
