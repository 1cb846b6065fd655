"""The realistic pipeline of bench/engine/realistic-case.js in polars (lazy, streaming engine).

    python realistic_polars.py <dataDir> <outDir>

Prints one JSON line: {wallMs, cpuMs, peakRssMb, checks, out}. The fact table is collected once
(it has two consumers and the checks), as an analyst would write it.
"""
import json
import resource
import sys
import time

t0 = time.perf_counter()
import polars as pl  # noqa: E402  (import time is part of the run, as node's is)

data, out_dir = sys.argv[1:3]
out = {k: f"{out_dir}/polars-warn-{k}.parquet" for k in ("fact", "monthly")}
WS = r"[\t\n\x0B\x0C\r \x{85}\p{Zs}\x{2028}\x{2029}]+"
EMAIL = r"^(?:[^@ ]+@[^@ ]+\.[a-z]+)$"
ORDERS = {
    "order_id": pl.Int64, "customer_id": pl.Int64, "product_id": pl.Int64, "quantity": pl.Int32,
    "order_date": pl.Date, "status": pl.String, "discount": pl.Float64, "channel": pl.String,
}


def clean(c):
    x = pl.col(c).str.replace_all(WS, " ").str.strip_chars(" ").str.to_lowercase()
    return pl.when(x == "").then(None).otherwise(x).alias(c)


customers = pl.scan_csv(f"{data}/customers.csv", try_parse_dates=True)
products = pl.scan_csv(f"{data}/products.csv")
fact = (
    pl.scan_csv(f"{data}/orders.csv", schema=ORDERS)
    .with_columns(clean("status"), clean("channel"))
    .unique()
    .with_columns(pl.col("discount").fill_null(0.0))
    .filter(pl.col("quantity") > 0)
    .join(customers, on="customer_id", how="left")
    .join(products, on="product_id", how="left")
    .with_columns(
        revenue=pl.col("quantity") * pl.col("unit_price") * (1 - pl.col("discount")),
        month=pl.col("order_date").dt.strftime("%Y-%m"),
    )
    .collect(engine="streaming")
)
email_ok = pl.col("email").is_null() | pl.col("email").str.contains(EMAIL)
checks = fact.select(
    n=pl.len(),
    f_unique=(pl.col("order_id").is_duplicated() & pl.col("order_id").is_not_null()).sum(),
    f_price=(~(pl.col("unit_price").is_null() | pl.col("unit_price").is_between(0, 10000))).sum(),
    f_email=(~email_ok).sum(),
).row(0, named=True)
samples = fact.filter(~email_ok).head(5)
fact.write_parquet(out["fact"], compression="zstd")
(
    fact.group_by("country", "month", "category")
    .agg(orders=pl.len(), units=pl.col("quantity").sum(), revenue=pl.col("revenue").sum())
    .write_parquet(out["monthly"], compression="zstd")
)

ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "wallMs": (time.perf_counter() - t0) * 1000,
    "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000,
    "peakRssMb": ru.ru_maxrss / 1024,
    "checks": {k: int(v) for k, v in checks.items()},
    "out": out,
    "version": pl.__version__,
}))
