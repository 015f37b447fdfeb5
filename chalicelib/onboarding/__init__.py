"""What a newcomer holds: one-time links, MFA enrollment, and the TOTP codes and QR code it uses."""
