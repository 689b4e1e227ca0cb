"""The ivorygrpc browser UI: a NiceGUI app that talks to the server only through gRPC."""
