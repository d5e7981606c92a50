"""The course package: artifact checks, the credit dataset, quiz and step-through widgets."""
