"""WeChat itself: sign-in inside WeChat (official-account web authorisation, mini-program
sign-in, phone numbers), the JS-SDK and share cards, mini-program codes and messages."""
