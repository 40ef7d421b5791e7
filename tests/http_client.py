"""One client of a real server, behind a load balancer that says who it is (tests and bench/)."""
import http.client
import re


class Browser:
    def __init__(self, port, address, timeout=30):
        self.port, self.timeout, self.cookie = port, timeout, None
        self.headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}

    def request(self, method, path, body=None):
        """(status, page), keeping the session cookie as a browser would."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = dict(self.headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        connection.close()
        return response.status, page

    def sign_in_token(self):
        """The CSRF token of a fresh sign-in form."""
        _, page = self.request("GET", "/sign-in")
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def wrong_password(self, email, token=None):
        """The status of a sign-in with a wrong password."""
        status, _ = self.request("POST", "/sign-in", f"csrf_token={token or self.sign_in_token()}"
                                                     f"&email={email}&password=not+the+password")
        return status
