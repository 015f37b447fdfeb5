"""The local stack: emulator, bootstrap and the dev-identity gateway. Never shipped to Lambda."""
