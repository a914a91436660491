scenario { name = "tiny", workload = { payments = 1, rate = 1 }, run = 2, settle = 2 }
