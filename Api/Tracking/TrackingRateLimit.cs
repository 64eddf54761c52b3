using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Api.Tracking;

/// <summary>
/// Section <c>Tracking:RateLimit</c>: requests to <c>/t/...</c> per client IP address in a fixed window. Generous by
/// default because mail image proxies and link scanners fetch many customers' links from one address.
/// </summary>
public sealed class TrackingRateLimitOptions
{
    public const string Section = "Tracking:RateLimit";

    public int PermitLimit { get; set; } = 600;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The tracking routes' rate limit (ASP.NET Core rate limiting), answered 429 problem+json with <c>Retry-After</c>.</summary>
public static class TrackingRateLimit
{
    public const string Policy = "tracking";

    public static IHostApplicationBuilder AddTrackingRateLimit(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TrackingRateLimitOptions>()
            .BindConfiguration(TrackingRateLimitOptions.Section)
            .Validate(o => o.PermitLimit > 0 && o.Window > TimeSpan.Zero, "Tracking:RateLimit: PermitLimit > 0 and Window > 0.")
            .ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<TrackingRateLimitOptions>>().Value;

                // Behind a reverse proxy this is the proxy's address unless forwarded headers are enabled
                // (ASPNETCORE_FORWARDEDHEADERS_ENABLED=true).
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, _) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many tracking requests from this address; try again later.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }
}
