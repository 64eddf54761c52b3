// Seeds 10 million messages with seed-demo into a throwaway PostgreSQL (or --connection), then times the report.
// usage: dotnet run -c Release --project tests/ReportBenchmark -- [--customers N] [--iterations N] [--connection CS] [--skip-seed]
using AbandonedCart.ReportBenchmark;

return await ReportBenchmarkRun.RunAsync(args);
