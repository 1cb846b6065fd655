"""The realistic pipeline of bench/engine/realistic-case.js in pandas (eager, as usually written).

    python realistic_pandas.py <dataDir> <outDir>

Prints one JSON line: {wallMs, cpuMs, peakRssMb, checks, out}.
"""
import json
import resource
import sys
import time

t0 = time.perf_counter()
import pandas as pd  # noqa: E402

data, out_dir = sys.argv[1:3]
out = {k: f"{out_dir}/pandas-warn-{k}.parquet" for k in ("fact", "monthly")}
# Python's re has no \p{Zs}: the same space separators, listed.
WS = r"[\t\n\x0b\x0c\r \x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
EMAIL = r"[^@ ]+@[^@ ]+\.[a-z]+"


def clean(s):
    s = s.str.replace(WS, " ", regex=True).str.strip(" ").str.lower()
    return s.mask(s == "")


orders = pd.read_csv(
    f"{data}/orders.csv",
    dtype={"order_id": "int64", "customer_id": "int64", "product_id": "int64", "quantity": "int32",
           "status": "string", "discount": "float64", "channel": "string"},
    parse_dates=["order_date"],
)
customers = pd.read_csv(f"{data}/customers.csv", parse_dates=["signup_date"])
products = pd.read_csv(f"{data}/products.csv")

orders["status"] = clean(orders["status"])
orders["channel"] = clean(orders["channel"])
df = orders.drop_duplicates()
df = df.fillna({"discount": 0.0})
df = df[df["quantity"] > 0]
df = df.merge(customers, on="customer_id", how="left").merge(products, on="product_id", how="left")
df["revenue"] = df["quantity"] * df["unit_price"] * (1 - df["discount"])
df["month"] = df["order_date"].dt.strftime("%Y-%m")

email_ok = df["email"].isna() | df["email"].str.fullmatch(EMAIL).fillna(False).astype(bool)
checks = {
    "n": len(df),
    "f_unique": int((df["order_id"].duplicated(keep=False) & df["order_id"].notna()).sum()),
    "f_price": int((~(df["unit_price"].isna() | df["unit_price"].between(0, 10000))).sum()),
    "f_email": int((~email_ok).sum()),
}
samples = df[~email_ok].head(5)
df.to_parquet(out["fact"], compression="zstd", index=False)
(
    df.groupby(["country", "month", "category"], dropna=False)
    .agg(orders=("order_id", "size"), units=("quantity", "sum"), revenue=("revenue", "sum"))
    .reset_index()
    .to_parquet(out["monthly"], compression="zstd", index=False)
)

ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "wallMs": (time.perf_counter() - t0) * 1000,
    "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000,
    "peakRssMb": ru.ru_maxrss / 1024,
    "checks": checks,
    "out": out,
    "version": pd.__version__,
}))
