using Microsoft.Extensions.Http.Logging;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// The only log of provider HTTP calls: method, host, status and time. HttpClientFactory's default loggers write each
/// request's full URL, and providers put the recipient in the path (an APNs device token, a web push endpoint), so
/// every provider client has them removed and logs through this instead.
/// </summary>
public sealed partial class ProviderHttpLogger(ILogger<ProviderHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        Answered(request.Method.Method, request.RequestUri?.Host, (int)response.StatusCode, elapsed.TotalMilliseconds);
    }

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(exception);

        // The exception's type only: its message can quote the URL.
        Failed(request.Method.Method, request.RequestUri?.Host, exception.GetType().Name, elapsed.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Host} answered {Status} in {ElapsedMs:0.0} ms")]
    private partial void Answered(string method, string? host, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Host} failed with {Error} after {ElapsedMs:0.0} ms")]
    private partial void Failed(string method, string? host, string error, double elapsedMs);
}
