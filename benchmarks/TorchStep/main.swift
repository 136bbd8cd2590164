// Placeholder: the transformer training-step benchmark is being written.
print("torch-step-benchmark: not written yet")
