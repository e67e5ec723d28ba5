"""paysim: a local simulator of the WeChat Pay APIv3 protocol (``weshop paysim``).

It plays WeChat Pay's side exactly enough that a client written from the official
documentation works against it unchanged: it verifies the merchant's request signatures,
signs its answers and callbacks with its own platform key, encrypts callbacks with the
APIv3 key and retries them on WeChat Pay's schedule, keeps money per (sub-)merchant by the
profit-sharing and refund rules, onboards sub-merchants, and writes daily trade bills. Its
state is one SQLite file, so a restarted simulator keeps its orders.
"""
