using System.Globalization;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AbandonedCart.Tests.Reports;

/// <summary>A fact that is skipped, with the reason, when Debian's Chromium is not installed (CI installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath))
        {
            Skip = $"Chromium is not installed at {ChromiumPath} (apt-get install -y chromium).";
        }
    }
}

public sealed class DashboardBrowserTests(PostgresDatabase db, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [ChromiumFact]
    public async Task Dashboard_ChangingAttributionWindow_RerendersWithNewNumbers()
    {
        // One purchase 30 h after the click: outside a 24 h window, inside 48 h.
        var b = new CohortBuilder(db.DataSource, "abandoned-cart");
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await b.EngagedPurchaseAsync("c1", t0, "clicked", TimeSpan.FromHours(1), 64m, TimeSpan.FromHours(31));
        await using var host = await ReportHost.StartAsync(db.DataSource);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            HttpCredentials = new HttpCredentials { Username = "admin", Password = ReportHost.AdminKey },
            ViewportSize = new ViewportSize { Width = 1280, Height = 1400 },
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync(new Uri(host.BaseAddress, "/dashboard?journey=abandoned-cart&from=2026-03-01&to=2026-03-02&attributionHours=24").ToString());
        Assert.Equal("0", await page.InnerTextAsync("#kpi-conversions"));
        Assert.Equal("0.00", await page.InnerTextAsync("#kpi-revenue"));

        await page.FillAsync("#attributionHours", "48");
        // The waiter is in place before the click, so a fast reload cannot slip past it; the page is rendered on the
        // server, so its numbers are there once the document is parsed.
        var navigated = page.WaitForURLAsync("**attributionHours=48**", new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.ClickAsync("#apply");
        await navigated;

        Assert.Contains("attributionHours=48", page.Url, StringComparison.Ordinal);
        Assert.Equal("48", await page.InputValueAsync("#attributionHours"));
        Assert.Equal("1", await page.InnerTextAsync("#kpi-conversions"));
        Assert.Equal("64.00", await page.InnerTextAsync("#kpi-revenue"));
        Assert.Equal(1, await page.Locator("svg#revenue-by-channel rect").CountAsync());

        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(folder);
        var screenshot = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"dashboard-{DateTime.UtcNow:yyyyMMddHHmmss}.png"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"Dashboard screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 0);
    }
}
