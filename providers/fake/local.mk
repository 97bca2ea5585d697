# providers/fake
