using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace AbandonedCart.Api.Security;

/// <summary>
/// Reads a webhook's raw body (the bytes its signature covers) after checking its content type and size, answering
/// 415 or 413 as problem+json instead.
/// </summary>
public static class SignedBody
{
    public const int MaxBytes = 1024 * 1024;

    public static async Task<(byte[]? Body, IResult? Refusal)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                 || mediaType.MediaType.Value!.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "The body must be application/json."));
        }

        var (body, tooLarge) = await ReadLimitedAsync(request, cancellationToken);
        return (body, tooLarge);
    }

    /// <summary>
    /// The raw body of any request, at most <see cref="MaxBytes"/>: a larger one (declared or streamed) is answered 413
    /// after reading at most one buffer past the limit, before any signature or JSON work is spent on it.
    /// </summary>
    public static async Task<(byte[]? Body, ProblemHttpResult? TooLarge)> ReadLimitedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        // Read at most one byte past the limit: enough to tell a chunked body is too large without buffering it all.
        using var body = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (body.Length + read > MaxBytes)
                {
                    return (null, TooLarge());
                }

                body.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (body.ToArray(), null);
    }

    public static IResult Unauthorized(string title) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title);

    public static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: $"The body is larger than {MaxBytes} bytes (1 MiB).");
}
