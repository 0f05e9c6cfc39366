package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hookline/hookline"
)

// DeliveryHours sums up the attempts of the deliveries in the filter's
// scope by hour, in one grouped query over the attempts index by time
// (delivery_attempts_at), so that its cost follows the window's attempts,
// not the queue's history.
func (s *DeliveryStore) DeliveryHours(ctx context.Context, f hookline.DeliveryHoursFilter) ([]hookline.DeliveryHour, error) {
	cond, args := companyScope(f.Scope, "d.company_id")
	if f.TargetID != 0 {
		cond += " AND d.target_kind = ? AND d.target_id = ?"
		args = append(args, f.TargetKind, f.TargetID)
	}
	hour := s.db.dialect.epochHour("a.at")
	query := "SELECT " + hour + " AS h, COUNT(*), SUM(CASE WHEN a.error_kind = '' THEN 1 ELSE 0 END), AVG(a.duration_ms), MAX(a.duration_ms)" +
		" FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id" +
		" WHERE a.at >= ? AND a.at < ? AND " + cond + " GROUP BY h ORDER BY h"
	args = append([]any{storedTime(f.Since), storedTime(f.Until)}, args...)
	rows, err := s.db.conn().query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("delivery hours: %w", err)
	}
	defer rows.Close()
	out := []hookline.DeliveryHour{}
	for rows.Next() {
		var h hookline.DeliveryHour
		var epochHour int64
		if err := rows.Scan(&epochHour, &h.Attempts, &h.Succeeded, &h.AvgMS, &h.MaxMS); err != nil {
			return nil, fmt.Errorf("delivery hours: %w", err)
		}
		h.Start = time.Unix(epochHour*3600, 0).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delivery hours: %w", s.db.dialect.translate(err))
	}
	return out, nil
}
