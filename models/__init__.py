"""How each model is obtained, converted or trained, and where its artifact lives."""
