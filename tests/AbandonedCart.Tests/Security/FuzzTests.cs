using System.Diagnostics;
using System.Globalization;
using AbandonedCart.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AbandonedCart.Tests.Security;

/// <summary>
/// For every endpoint that takes a body or a query: <see cref="FuzzRun.Inputs"/> generated inputs (10,000 by default;
/// <c>SECURITY_FUZZ_INPUTS</c> changes it), each a mutation of a valid request and authenticated or signed as a real
/// caller would, so the handler really runs; endpoints whose only input is a path parameter get a fifth of that. No
/// answer is 5xx; a refused request (4xx) writes no row in any table (a trigger counts every row inserted, updated
/// or deleted) and answers problem+json. Seeded: the seed is printed with the failing input, and
/// <c>SECURITY_FUZZ_SEED</c> runs another. The endpoints are split over two classes (two databases) so that xUnit
/// runs the halves side by side.
/// </summary>
public sealed class FuzzTests(PostgresDatabase db, ITestOutputHelper output) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly SecureApi api = new(db);

    public static TheoryData<string> Fuzzed() =>
    [
        "POST /v1/events",
        "POST /webhooks/shopify",
        "POST /webhooks/twilio/status",
        "POST /webhooks/twilio/inbound",
    ];

    [Fact]
    public void EveryEndpoint_IsFuzzedOrTakesNoInput()
    {
        var fuzzed = ((IEnumerable<object[]>)Fuzzed()).Concat(AdminFuzzTests.Fuzzed()).Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);

        var missing = api.Endpoints().Select(e => e.Key).Where(k => !fuzzed.Contains(k) && !FuzzRun.NoInput.ContainsKey(k)).ToList();

        Assert.True(missing.Count == 0, $"Endpoints without a fuzz generator (add one in FuzzInputs) or a NoInput entry: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Fuzzed))]
    public Task Endpoint_GeneratedInputs_No5xxAndRefusedOnesWriteNothing(string endpoint) => FuzzRun.RunAsync(db, api, output, endpoint);

    public void Dispose() => api.Dispose();
}

/// <summary>The other half of the fuzz: admin, report, dashboard, tracking and OpenAPI endpoints, and SendGrid.</summary>
public sealed class AdminFuzzTests(PostgresDatabase db, ITestOutputHelper output) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly SecureApi api = new(db);

    public static TheoryData<string> Fuzzed() =>
    [
        "POST /webhooks/sendgrid/events",
        "PUT /v1/customers/{id}",
        "GET /v1/reports/journeys/{journey}",
        "GET /dashboard",
        "GET /v1/customers/{id}",
        "DELETE /v1/customers/{id}",
        "GET /v1/customers/{id}/journey",
        "GET /t/c/{token}",
        "GET /t/o/{token}",
        "GET /openapi/{documentName}.json",
    ];

    [Theory]
    [MemberData(nameof(Fuzzed))]
    public Task Endpoint_GeneratedInputs_No5xxAndRefusedOnesWriteNothing(string endpoint) => FuzzRun.RunAsync(db, api, output, endpoint);

    public void Dispose() => api.Dispose();
}

/// <summary>One endpoint's fuzz run and what it checks.</summary>
internal static class FuzzRun
{
    public static readonly int Inputs = int.TryParse(Environment.GetEnvironmentVariable("SECURITY_FUZZ_INPUTS"), out var n) && n > 0 ? n : 10_000;

    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("SECURITY_FUZZ_SEED"), out var s) ? s : 20_261_202;

    /// <summary>Endpoints with nothing to fuzz: no body, no query they read, no path parameter.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoInput = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GET /v1/inbox"] = "reads no parameter",
        ["GET /v1/outbox"] = "reads no parameter",
        ["GET /outbox"] = "reads no parameter",
        ["GET /health/live"] = "reads no parameter",
        ["GET /health/temporal"] = "reads no parameter",
        ["GET /health/ready"] = "reads no parameter",
        ["GET /openapi"] = "static page",
    };

    /// <summary>Endpoints whose only input is a path parameter: they get a fifth of <see cref="Inputs"/>.</summary>
    private static readonly HashSet<string> PathOnly = new(StringComparer.Ordinal)
    {
        "GET /v1/customers/{id}", "DELETE /v1/customers/{id}", "GET /v1/customers/{id}/journey", "GET /t/c/{token}", "GET /t/o/{token}", "GET /openapi/{documentName}.json",
    };

    /// <summary>Endpoints whose refusals are not problem+json, and why.</summary>
    private static readonly Dictionary<string, string> OtherRefusals = new(StringComparer.Ordinal)
    {
        ["GET /dashboard"] = "a page for a person: a bad parameter shows the form again with the error (400, HTML)",
        ["GET /openapi/{documentName}.json"] = "ASP.NET Core's OpenAPI endpoint answers an unknown document with a plain-text 404",
    };

    public static async Task RunAsync(PostgresDatabase db, SecureApi api, ITestOutputHelper output, string endpoint)
    {
        await DatabaseState.InstallWriteCounterAsync(db.DataSource);
        var inputs = new FuzzInputs(api);
        await inputs.SeedAsync(FuzzInputs.StableHash(endpoint).ToString("x", CultureInfo.InvariantCulture));
        var seed = Seed ^ FuzzInputs.StableHash(endpoint);
        var random = new Random(seed);
        var count = PathOnly.Contains(endpoint) ? Math.Max(1, Inputs / 5) : Inputs;
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var writes = await DatabaseState.WritesAsync(connection);
        var answers = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var started = Stopwatch.GetTimestamp();

        for (var i = 0; i < count && failures.Count < 5; i++)
        {
            using var request = await inputs.NextAsync(endpoint, random, i);
            var described = await FuzzInputs.DescribeAsync(request);
            using var response = await api.Client.SendAsync(request);
            var status = (int)response.StatusCode;
            var after = await DatabaseState.WritesAsync(connection);
            answers[status] = answers.GetValueOrDefault(status) + 1;
            string? problem = null;
            if (status >= 500)
            {
                problem = $"answered {status}: {await response.Content.ReadAsStringAsync()}";
            }
            else if (status >= 400 && after != writes)
            {
                problem = $"refused with {status} but wrote {after - writes} row(s)";
            }
            else if (status >= 400 && !OtherRefusals.ContainsKey(endpoint) && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                problem = $"refused with {status} as {response.Content.Headers.ContentType?.MediaType ?? "no body"}, not problem+json";
            }

            if (problem is not null)
            {
                failures.Add($"input #{i} (seed {Seed}, endpoint seed {seed}) {problem}\n    {described}");
            }

            writes = after;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var summary = string.Join(", ", answers.Select(a => $"{a.Key}×{a.Value}"));
        var line = $"FUZZ {endpoint}: {answers.Values.Sum()} inputs in {seconds:F1} s (seed {Seed}); answers {summary}";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("SECURITY_FUZZ_REPORT") is { Length: > 0 } report)
        {
            await File.AppendAllTextAsync(report, line + Environment.NewLine);
        }

        Assert.True(failures.Count == 0, $"{endpoint}, SECURITY_FUZZ_SEED={Seed}:\n{string.Join('\n', failures)}");

        // Both outcomes must occur, or the generator is not reaching the handler.
        Assert.Contains(answers.Keys, k => k >= 400);
        if (endpoint is not ("GET /v1/customers/{id}/journey" or "GET /v1/customers/{id}" or "DELETE /v1/customers/{id}"))
        {
            Assert.Contains(answers.Keys, k => k < 400);
        }
    }
}
