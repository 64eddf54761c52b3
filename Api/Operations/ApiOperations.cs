using System.Text.Json;
using AbandonedCart.Api.Events;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Temporalio.Client;

namespace AbandonedCart.Api.Operations;

/// <summary>Health (<c>/health/live</c>, <c>/health/ready</c>, <c>/health/temporal</c>), OpenAPI with a browsable page, OpenTelemetry.</summary>
public static class ApiOperations
{
    private const string Ready = "ready";
    private const string Temporal = "temporal";

    public static IHostApplicationBuilder AddApiHealth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Ready means able to accept: the inbox needs PostgreSQL only, and keeps accepting while Temporal is down, so a
        // load balancer must not take every Api out then. Temporal's state is its own check, for monitoring.
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [Ready])
            .AddCheck<TemporalHealthCheck>("temporal", tags: [Temporal]);
        return builder;
    }

    /// <summary>
    /// Traces of requests and inbox deliveries, metrics of requests and the inbox (backlog, relay lag). Exported over
    /// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; otherwise collected for in-process listeners only.
    /// </summary>
    public static IHostApplicationBuilder AddApiTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddSource(InboxTelemetry.Name);
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter(InboxTelemetry.Name);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return builder;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteReadyAsync });
        app.MapHealthChecks("/health/temporal", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Temporal), ResponseWriter = WriteReadyAsync });
        app.MapOpenApi();
        app.MapGet("/openapi", () => TypedResults.Content(OpenApiPage, "text/html; charset=utf-8")).ExcludeFromDescription();
        return app;
    }

    private static Task WriteReadyAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }

    // Self-contained (no CDN): lists every operation of /openapi/v1.json with its answers.
    private const string OpenApiPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>AbandonedCart API</title>
        <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}code{background:#f3f3f3;padding:.1rem .3rem}
        .op{border-bottom:1px solid #ddd;padding:.6rem 0}.m{font-weight:bold;display:inline-block;width:5rem}</style></head>
        <body><h1>AbandonedCart API</h1><p>Machine-readable: <a href="/openapi/v1.json">/openapi/v1.json</a></p><div id="ops">Loading…</div>
        <script>
        fetch('/openapi/v1.json').then(r => r.json()).then(doc => {
          const ops = document.getElementById('ops'); ops.textContent = '';
          for (const [path, item] of Object.entries(doc.paths || {})) {
            for (const [method, op] of Object.entries(item)) {
              const div = document.createElement('div'); div.className = 'op';
              const m = document.createElement('span'); m.className = 'm'; m.textContent = method.toUpperCase();
              const p = document.createElement('code'); p.textContent = path;
              const s = document.createElement('div'); s.textContent = (op.summary || '') + '  Answers: ' + Object.keys(op.responses || {}).join(', ');
              div.append(m, p, s); ops.append(div);
            }
          }
        });
        </script></body></html>
        """;
}

/// <summary>Ready when PostgreSQL answers (the inbox needs it to accept anything).</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(e.GetType().Name);
        }
    }
}

/// <summary>Ready when Temporal answers its health check; events are still accepted while it does not.</summary>
public sealed class TemporalHealthCheck(ITemporalClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var healthy = await client.Connection.CheckHealthAsync(options: new RpcOptions { Timeout = TimeSpan.FromSeconds(3), CancellationToken = cancellationToken });
            return healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not serving");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(e.GetType().Name);
        }
    }
}
