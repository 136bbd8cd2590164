// Placeholder: the Tokenizers module is being written.
