using AbandonedCart.Api.Reports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AbandonedCart.Tests.Reports;

/// <summary>
/// The report API and dashboard served by Kestrel on a free loopback port, wired exactly as the Api host wires them
/// (<c>AddReportServices</c>, <c>MapReports</c>, <c>MapDashboard</c>), so tests go through real HTTP.
/// </summary>
public sealed class ReportHost : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key";

    private readonly WebApplication app;

    private ReportHost(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<ReportHost> StartAsync(NpgsqlDataSource dataSource)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration[AdminAccess.ConfigKey] = AdminKey;
        // Tests insert data as they go; a background rollup taken mid-test would hide later rows from the report.
        builder.Configuration[ReportRollupRefresh.IntervalKey] = "0";
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddReportServices();
        var app = builder.Build();
        app.MapReports();
        app.MapDashboard();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReportHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
