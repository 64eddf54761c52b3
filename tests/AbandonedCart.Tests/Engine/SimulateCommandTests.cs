using AbandonedCart.Worker.Simulation;

namespace AbandonedCart.Tests.Engine;

public class SimulateCommandTests
{
    private const string Valid = """
        { "journey": "abandoned-cart", "start": "2026-03-02T10:00:00Z",
          "customer": { "id": "c-1", "email": "ana@example.com", "consents": ["email"] },
          "events": [ { "at": "2026-03-02T10:00:00Z", "type": "cart_updated", "device": "mobile",
                        "items": [ { "sku": "A1", "name": "Lipstick", "price": 19.9 } ] } ] }
        """;

    [Theory]
    [InlineData("\"at\": \"2026-03-02T10:00:00Z\", \"type\": \"cart_updated\"", "\"at\": \"tomorrow\", \"type\": \"cart_updated\"", "events[0].at: not an ISO 8601 time")]
    [InlineData("\"at\": \"2026-03-02T10:00:00Z\", \"type\": \"cart_updated\"", "\"at\": \"2026-03-02T10:00:00\", \"type\": \"cart_updated\"", "events[0].at: not an ISO 8601 time")]
    [InlineData("\"consents\": [\"email\"]", "\"consents\": [\"fax\"]", "customer.consents[0]: unknown value 'fax'")]
    [InlineData("\"device\": \"mobile\"", "\"device\": \"mobile\", \"colour\": \"red\"", "events[0].colour: unknown field")]
    [InlineData("\"type\": \"cart_updated\"", "\"type\": \"cart_abandoned\"", "events[0].type: unknown value 'cart_abandoned'")]
    [InlineData("\"price\": 19.9", "\"price\": \"19.9\"", "events[0].items[0].price: not a number")]
    [InlineData("\"id\": \"c-1\", ", "", "customer.id: required")]
    [InlineData("\"start\": \"2026-03-02T10:00:00Z\",", "\"start\": \"2026-03-02T10:00:00Z\"", "$: not valid JSON")]
    public async Task RunAsync_BadScenario_ExitsTwoNamingTheField(string good, string bad, string expected)
    {
        Assert.Contains(good, Valid, StringComparison.Ordinal);
        var (code, stdout, stderr) = await SimulateAsync(Valid.Replace(good, bad, StringComparison.Ordinal));

        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task RunAsync_MobileEngagedExample_PrintsTheTimeline()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await SimulateCommand.RunAsync(["simulate", ExampleScenario("mobile-engaged.json")], stdout, stderr);

        Assert.Equal(0, code);
        Assert.Equal(
            """
            {"at":"2026-03-02T10:00:00Z","kind":"wait","until":"2026-03-02T11:00:00Z","summary":"waiting 1 h after the latest cart update"}
            {"at":"2026-03-02T11:00:00Z","kind":"audience_add","audiences":["google","meta"]}
            {"at":"2026-03-02T11:00:00Z","kind":"send","channel":"mobile_push","step":1}
            {"at":"2026-03-02T11:00:00Z","kind":"wait","until":"2026-03-16T11:00:00Z","summary":"keeping the customer in ad audiences for 14 d or until purchase"}
            {"at":"2026-03-02T11:00:00Z","kind":"wait","until":"2026-03-02T12:00:00Z","summary":"waiting 1 h for an open or click on the mobile push"}
            {"at":"2026-03-02T12:00:00Z","kind":"send","channel":"email","step":2}
            {"at":"2026-03-02T12:00:00Z","kind":"wait","until":"2026-03-03T00:00:00Z","summary":"waiting 12 h for an open or click on the email"}
            {"at":"2026-03-02T15:00:00Z","kind":"audience_remove","audiences":["google","meta"]}
            {"at":"2026-03-02T15:00:00Z","kind":"end","outcome":"engaged"}

            """.ReplaceLineEndings("\n"),
            stdout.ToString().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("desktop-exhausted.json", "exhausted")]
    [InlineData("purchase-before-first-send.json", "purchased")]
    [InlineData("rule-7-day-cap.json", "capped")]
    [InlineData("rule-cross-journey-cap.json", "purchased")]
    [InlineData("rule-quiet-hours-dst.json", "purchased")]
    [InlineData("rule-consent-withdrawn.json", "purchased")]
    [InlineData("rule-retargeting.json", "engaged")]
    [InlineData("rule-holdout.json", "holdout")]
    [InlineData("rule-journey-stopped.json", "stopped")]
    [InlineData("rule-journey-disabled.json", "stopped")]
    [InlineData("rule-cart-update-restarts-wait.json", "purchased")]
    [InlineData("rule-engaged-during-quiet-hours.json", "engaged")]
    [InlineData("rule-late-events.json", "purchased")]
    public async Task RunAsync_ExampleScenario_EndsWithItsOutcome(string file, string outcome)
    {
        var stdout = new StringWriter();

        var code = await SimulateCommand.RunAsync(["simulate", ExampleScenario(file)], stdout, new StringWriter());

        Assert.Equal(0, code);
        Assert.EndsWith($"\"kind\":\"end\",\"outcome\":\"{outcome}\"}}", stdout.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NoCartUpdate_ExitsTwoNamingEvents()
    {
        var (code, _, stderr) = await SimulateAsync("""
            { "journey": "abandoned-cart", "start": "2026-03-02T10:00:00Z", "customer": { "id": "c-1" },
              "events": [ { "at": "2026-03-02T10:00:00Z", "type": "purchased", "orderId": "o-1" } ] }
            """);

        Assert.Equal(2, code);
        Assert.Contains("events: needs a cart_updated event", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MissingFile_ExitsTwo()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await SimulateCommand.RunAsync(["simulate", "/nonexistent/scenario.json"], stdout, stderr);

        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/scenario.json", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NoArguments_ExitsTwoWithUsage()
    {
        var stderr = new StringWriter();

        var code = await SimulateCommand.RunAsync([], new StringWriter(), stderr);

        Assert.Equal(2, code);
        Assert.Contains("usage: simulate <scenario.json>", stderr.ToString(), StringComparison.Ordinal);
    }

    private static string ExampleScenario(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "Worker", "scenarios", file);
            if (File.Exists(path))
            {
                return path;
            }
        }

        // The Worker project copies its scenarios next to its binaries, and so next to ours.
        return Path.Combine(AppContext.BaseDirectory, "scenarios", file);
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> SimulateAsync(string scenarioJson)
    {
        var file = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, scenarioJson);
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await SimulateCommand.RunAsync(["simulate", file], stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
