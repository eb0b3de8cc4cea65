"""Local twin of the AWS stack: the emulator, `make up` and `make down`."""
