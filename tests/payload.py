"""The one test helper for malicious pickles: loading a pickled `Payload(func, *args)` calls
`func(*args)`. Tests build payloads with it and check that the grader never runs them."""


class Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args
