"""What an admin does to people: create, list, describe, reissue, offboard, reset MFA; and who is asking."""
